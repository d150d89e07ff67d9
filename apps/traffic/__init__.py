"""Traffic app: count, measure and control an intersection from its cameras."""
