"""campaigner: a self-hosted scheduler and monitor for a union's social media campaigns.

This package is the core (config, clock, database, services). It imports neither the CLI
(``campaigner.cli``) nor the publishing engine (``scheduler``).
"""

__version__ = "0.1.0"
