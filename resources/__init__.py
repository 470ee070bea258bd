"""TimelyGator's bundled files (``timelygator.resources``): data only, no code.

Found through ``timelygator.core.resources``; installed with the package by wheels, editable
installs and the PyInstaller bundle alike.
"""
