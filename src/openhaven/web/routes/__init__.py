"""Routers, one per area; ``web.app`` includes each of them."""
