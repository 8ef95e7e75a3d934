//! Fixtures in Django's JSON format: `[{"model": "app.user", "pk": 1, "fields": {…}}]`.
