"""Widgets drawn from the fleet model: the fleet table, the header, the console view."""
