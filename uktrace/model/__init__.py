"""Plain data the engine fills and views read: one guest's timeline, the guest, the fleet's reading side."""
