"""`python -m qa.cli`: the same command line as the `reviewqa` console script."""

from qa.cli.app import main

main()
