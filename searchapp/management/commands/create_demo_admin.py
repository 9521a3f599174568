from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAME = "admin"


class Command(BaseCommand):
    help = (
        "Create a superuser 'admin' with a random password, only if no superuser exists. "
        "The password is kept in SEARCHAPP_DATA_DIR/demo_admin.txt so it can be shown again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        credentials = settings.DATA_DIR / "demo_admin.txt"
        if user_model.objects.filter(is_superuser=True).exists():
            if credentials.exists():
                self.stdout.write(f"Admin login: {credentials.read_text().strip()}")
            else:
                self.stdout.write("An admin user exists already (created outside make run).")
            return
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(DEMO_USERNAME, "", password)
        credentials.parent.mkdir(parents=True, exist_ok=True)
        credentials.write_text(f"user {DEMO_USERNAME} / password {password}\n")
        credentials.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(f"Created admin login: user {DEMO_USERNAME} / password {password}")
        )
