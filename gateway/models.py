"""API keys of the embedding gateway and what each key used, per model and day."""

from __future__ import annotations

from django.db import models


class GatewayKey(models.Model):
    """A client application's key. Only its SHA-256 is stored: the key itself is shown once,
    when it is created (keys are 256 random bits, so a fast hash is as good as a slow one)."""

    name = models.CharField(max_length=100, help_text="Who uses this key (an application).")
    prefix = models.CharField(
        max_length=16, editable=False, help_text="The key's first characters."
    )
    key_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(default=True)
    requests_per_minute = models.PositiveIntegerField(
        default=600, help_text="Rate limit; 0 for none. Over it: 429 with Retry-After."
    )
    daily_input_quota = models.PositiveBigIntegerField(
        default=1_000_000,
        help_text="Inputs a day (UTC); 0 for none. Over it: 429 until midnight UTC.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "gateway API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class GatewayUsage(models.Model):
    """One key's use of one model (a provider alias) on one day (UTC); the same counters as
    embeddings.ProviderUsage, which also counts the gateway's calls per alias."""

    key = models.ForeignKey(GatewayKey, on_delete=models.CASCADE, related_name="usage")
    alias = models.CharField(max_length=100)
    day = models.DateField()
    requests = models.PositiveBigIntegerField(default=0)
    inputs = models.PositiveBigIntegerField(default=0)
    text_tokens = models.PositiveBigIntegerField(default=0)
    images = models.PositiveBigIntegerField(default=0)
    image_pixels = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "alias"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "alias", "day"], name="gateway_usage_key_alias_day"
            )
        ]
        verbose_name_plural = "gateway usage"

    def __str__(self) -> str:
        return f"{self.key_id} {self.alias} {self.day}"
