"""``python -m neuralzoo`` runs the command line."""

from neuralzoo.cli import main

if __name__ == "__main__":
    main()
