"""The command line: a thin edge over the services. Nothing imports this package."""
