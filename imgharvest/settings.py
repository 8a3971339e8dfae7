"""Settings: every knob, read from ``IMGHARVEST_*`` env vars or ``.env``, built at the edge."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from imgharvest import config_file
from imgharvest.errors import ConfigError

CsvList = Annotated[list[str], NoDecode]


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """All configuration; names are public (DESIGN §5)."""

    model_config = SettingsConfigDict(
        env_prefix="IMGHARVEST_", env_file=".env", extra="ignore", populate_by_name=True
    )

    data_dir: Path = Path("./data")
    database_url: str = ""
    queue_url: str = ""
    storage_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    public_url: str = ""
    workers: int = Field(4, ge=0, le=256)  # 0: serve runs the web tier only
    smtp_url: str | None = None
    mail_from: str = "imgharvest@localhost"
    link_ttl_seconds: int = Field(1800, ge=1)
    record_ttl_seconds: int = Field(7 * 24 * 3600, ge=0)
    max_images: int = Field(500, ge=1)
    timezone: str = "UTC"
    sources: CsvList = Field(
        default_factory=lambda: ["bing", "duckduckgo", "google", "openverse", "wikimedia"]
    )
    allowed_networks: CsvList = Field(default_factory=list)
    secret_key: str = ""
    log_file: Path | None = None
    submit_rate_per_minute: int = Field(30, ge=1)
    max_request_bytes: int = Field(1024 * 1024, ge=1024)
    max_upload_bytes: int = Field(2 * 1024 * 1024, ge=1024)
    max_header_bytes: int = Field(64 * 1024, ge=1024)
    max_list_bytes: int = Field(64 * 1024 * 1024, ge=1024)
    max_list_items: int = Field(1_000_000, ge=1)
    trusted_proxies: CsvList = Field(default_factory=list)
    min_free_bytes: int = Field(64 * 1024 * 1024, ge=0)
    mail_max_attempts: int = Field(12, ge=1)
    max_attempts: int = Field(3, ge=1, le=100)
    s3_endpoint_url: str | None = None
    queue_name: str = "imgharvest"
    housekeeping_seconds: float = Field(60.0, gt=0)
    store_retry_seconds: float = Field(180.0, ge=0)

    bing_url: str = "https://www.bing.com"
    duckduckgo_url: str = "https://duckduckgo.com"
    openverse_url: str = "https://api.openverse.org"
    wikimedia_url: str = "https://commons.wikimedia.org"
    flickr_url: str = "https://api.flickr.com"
    pexels_url: str = "https://api.pexels.com"
    pixabay_url: str = "https://pixabay.com"
    unsplash_url: str = "https://api.unsplash.com"
    google_url: str = "https://www.google.com"
    flickr_api_key: str | None = None
    pexels_api_key: str | None = None
    pixabay_api_key: str | None = None
    unsplash_access_key: str | None = None

    fetch_concurrency: int = Field(128, ge=1)
    fetch_backend: Literal["auto", "curl", "aiohttp"] = "auto"
    per_host_concurrency: int = Field(32, ge=1)
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    total_timeout: float = Field(60.0, gt=0)
    max_image_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    max_page_bytes: int = Field(8 * 1024 * 1024, ge=1024)
    max_links_per_page: int = Field(10_000, ge=1, le=1_000_000)
    max_pixels: int = Field(89_478_485, ge=1)
    max_redirects: int = Field(5, ge=0)
    probe_budget: int = Field(8, ge=0, le=1000)  # ranged header reads per page (0: none)
    retries: int = Field(3, ge=0)
    retry_max_wait: float = Field(30.0, ge=0)
    browser_path: Path = Path("/usr/bin/chromium")
    browser_concurrency: int = Field(2, ge=1, le=32)
    browser_wait_seconds: float = Field(10.0, gt=0, le=60)
    browser_page_seconds: float = Field(45.0, gt=0, le=300)
    near_duplicate_distance: int = Field(8, ge=0, le=64)
    user_agent: str = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/134.0 Safari/537.36"
    )
    bot_user_agent: str = "imgharvest/0.1 (+https://github.com/imgharvest/imgharvest)"

    # Names whose value was derived here rather than given (scale-out needs some given).
    _derived: set[str] = PrivateAttr(default_factory=set)

    _split = field_validator("sources", "allowed_networks", "trusted_proxies", mode="before")(
        _split_csv
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Environment over ``.env`` over the TOML config files over defaults."""
        file_values = config_file.ConfigFileSource(settings_cls)
        return init_settings, env_settings, dotenv_settings, file_values, file_secret_settings

    @field_validator("allowed_networks", "trusted_proxies")
    @classmethod
    def _check_networks(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError as exc:
                name = str(info.field_name).upper()
                raise ValueError(f"{name}: {cidr!r} is not a CIDR") from exc
        return value

    @model_validator(mode="after")
    def _check_browser_limits(self) -> Settings:
        if self.browser_wait_seconds > self.browser_page_seconds:
            raise ValueError("BROWSER_WAIT_SECONDS must not exceed BROWSER_PAGE_SECONDS")
        return self

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        data = self.data_dir
        self._derived = {
            name for name in ("database_url", "queue_url", "storage_url", "public_url")
            if not getattr(self, name)
        }  # fmt: skip
        if not self.database_url:
            self.database_url = f"sqlite:///{data / 'imgharvest.db'}"
        if not self.queue_url:
            self.queue_url = f"sqlite:///{data / 'queue.db'}"
        if not self.storage_url:
            self.storage_url = f"file://{(data / 'archives').resolve()}"
        if not self.public_url:
            self.public_url = f"http://{self.host}:{self.port}"
        self.public_url = self.public_url.rstrip("/")
        return self

    @property
    def derived(self) -> frozenset[str]:
        """Which of DATABASE_URL, QUEUE_URL, STORAGE_URL, PUBLIC_URL were derived, not given."""
        return frozenset(self._derived)

    @property
    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """``ALLOWED_NETWORKS`` parsed."""
        return [ipaddress.ip_network(c, strict=False) for c in self.allowed_networks]

    @property
    def proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """``TRUSTED_PROXIES`` parsed."""
        return [ipaddress.ip_network(c, strict=False) for c in self.trusted_proxies]

    def secret(self) -> str:
        """``SECRET_KEY``, or one generated once and kept in ``DATA_DIR``."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment and the config files (``config``, else
    ``./imgharvest.toml`` if present, over the user's file), with explicit overrides; config
    errors are clear."""
    values = config_file.values(config, Settings.model_fields)
    token = config_file.current.set(values)
    try:
        return Settings(**overrides)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    finally:
        config_file.current.reset(token)
