"""End-to-end journeys that string the services together (the demo today)."""
