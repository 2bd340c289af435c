"""Services: what the commands do, as plain functions over an ``App``."""
