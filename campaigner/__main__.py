"""``python -m campaigner`` runs the command line."""
from campaigner.cli.main import main

if __name__ == "__main__":
    main()
