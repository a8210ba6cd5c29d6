"""The ninja API object (``/api/v1``): auth, error shape, and each app's router."""
