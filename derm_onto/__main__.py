"""``python -m derm_onto`` runs the command line."""

from derm_onto.cli import main

if __name__ == "__main__":
    main()
