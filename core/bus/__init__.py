"""Event bus over MQTT QoS 1: durable outbox publisher, deduplicating consumer, embedded broker."""
