"""The local web app: thin views over the Workspace."""
