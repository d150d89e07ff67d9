"""Traffic measurement from tracked detections: counts, turning movements, flow, occupancy, queues, speeds."""
