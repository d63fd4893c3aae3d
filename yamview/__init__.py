"""yamview: see what Google's YAMNet sound classifier hears."""

__version__ = "0.1.0"
