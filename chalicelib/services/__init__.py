"""Domain logic. No boto3, no Chalice: collaborators are injected by chalicelib.container."""
