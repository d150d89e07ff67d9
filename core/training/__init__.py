"""Training: render-set writer, train, export, evaluate (ultralytics lives in the `train` extra)."""
