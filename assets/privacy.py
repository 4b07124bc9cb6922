"""The privacy resource: the secret key that turns client ids into pseudonyms in the analysts' copy."""

import dagster as dg
from pydantic import Field

from warehouse.pseudonym import check_key

KEY_ENV = "CLIENTBOOK_PSEUDONYM_KEY"


class PrivacyResource(dg.ConfigurableResource):
    """The pseudonym key, read from CLIENTBOOK_PSEUDONYM_KEY (never from the repository, never logged)."""

    pseudonym_key: str = Field(description="Secret HMAC key of the pseudonyms; a new key gives new pseudonyms.")

    def key(self) -> bytes:
        """The key as bytes, refused when shorter than 16 characters."""
        return check_key(self.pseudonym_key)


def privacy_from_env() -> PrivacyResource:
    """The resource every run uses: the key comes from the environment when the run starts."""
    return PrivacyResource(pseudonym_key=dg.EnvVar(KEY_ENV))
