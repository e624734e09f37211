"""The REST API of cases: filing, lists and details, every workflow step, dispatches,
categories and the notification inbox. Thin: views parse input, call cases/services.py and
shape the answer; every rule lives in the services, policies and workflow."""
