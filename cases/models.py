"""Cases, their history and their dispatches to departments (issue #4 fills this in)."""
