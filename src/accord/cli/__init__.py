"""The command line: parse arguments, call one service, render the result."""
