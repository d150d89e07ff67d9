"""Operator dashboard (Streamlit) on the event store.

    edgesight dashboard --db sqlite:///edgesight.sqlite          # or --config site.yaml (its store: section)
    edgesight bench dashboard                                     # fill a store with 1,000,000 events, time pages

Pages: Overview (nodes, cameras, event rates, alarms), Latency (percentiles per stage and camera against the
budget), Traffic (lanes, signal timing, controller delay in simulation), Inspection (yield, defect Pareto, failed
parts, reject actions), Events (newest events, filtered). Every query is bounded by the sidebar's time window
and aggregates in SQL; the sidebar's settings live in the URL, so a link opens the same view.
"""
