def navigation(request):
    """Navigation entries for the signed-in user's roles (filled in by the browser shell)."""
    return {}
