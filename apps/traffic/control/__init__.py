"""The signal controller: algorithms that request greens, the safety layer that decides what is shown, the
conflict monitor that watches what was shown, and the adapters that show it."""
