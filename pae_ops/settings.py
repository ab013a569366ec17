"""Settings for PAE Ops, read from the environment (12-factor).

With no environment at all the project runs the embedded demo: SQLite under
``var/``, Celery on kombu's filesystem transport and the console email
backend. ``DATABASE_URL`` and ``REDIS_URL`` switch to PostgreSQL and Redis.
``DJANGO_ENV=production`` turns on the production hardening and refuses to
start without a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
Every variable is documented in ``.env.example``.
"""

from pathlib import Path

import environ
import xstatic.pkg.bootstrap as xstatic_bootstrap
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local .env is a convenience for developers; the real environment wins.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be development, test or production, not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"

# An obviously fake key that only the demo and the tests may use.
INSECURE_DEV_SECRET_KEY = "django-insecure-pae-ops-demo-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if PRODUCTION:
    if SECRET_KEY == INSECURE_DEV_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs SECRET_KEY: a random value of at least 50 characters."
        )
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs ALLOWED_HOSTS: the host names the portal answers on."
        )
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_ENV=production refuses DEBUG=true.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Third party
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    # Ours, in dependency order: partners <- clients <- cases <- refunds <- kpis
    "pae_ops",
    "partners",
    "clients",
    "cases",
    "refunds",
    "kpis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "pae_ops.middleware.UserLanguageMiddleware",
    "pae_ops.middleware.RejectNulBytesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes goes last: it reads the outcome of the authentication above.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pae_ops.urls"
WSGI_APPLICATION = "pae_ops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "pae_ops.context_processors.portal",
            ],
        },
    },
]

# Databases: PostgreSQL from DATABASE_URL, else the demo's SQLite under var/.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pae_ops.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's database lives under var/ (git-ignored); make sure it exists.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The worker, beat and web server share the file: wait for locks.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The portal's queries are short: PostgreSQL's JIT compiler costs more
    # than it saves on them (1.4 s of compiling on the KPI dashboard's query
    # at scale, docs/benchmarks.md).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="pae_ops"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if DJANGO_ENV == "test":
    # The suite creates thousands of users; PBKDF2 would dominate its time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)

# Language: Spanish by default, English per user (see pae_ops.middleware).
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "pae_ops_language"
TIME_ZONE = env.str("TIME_ZONE", default="America/Mexico_City")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from the XStatic-Bootstrap package, never from a CDN.
    ("vendor/bootstrap", xstatic_bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, serve straight from the finders (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
# Largest partner document (agreement, vetting evidence) accepted, in bytes.
PARTNER_DOCUMENT_MAX_BYTES = env.int("PARTNER_DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console in the demo, SMTP (EMAIL_URL) in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PAE Ops <no-reply@pae-ops.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport (demo).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
if CELERY_BROKER_URL == "filesystem://":
    for _folder in ("out", "processed", "control"):
        (CELERY_FILESYSTEM_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FILESYSTEM_DIR / "out"),
        "data_folder_out": str(CELERY_FILESYSTEM_DIR / "out"),
        "processed_folder": str(CELERY_FILESYSTEM_DIR / "processed"),
        "control_folder": str(CELERY_FILESYSTEM_DIR / "control"),
        "store_processed": False,
    }
else:
    # A broker outage must never hang a page: short timeouts, bounded retries.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# One queue name per deployment (the test suite gives each run its own).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = False

# REF-3: this many earlier refund requests within the window flag a pattern.
REFUND_FREQUENT_COUNT = env.int("REFUND_FREQUENT_COUNT", default=2)
REFUND_FREQUENT_WINDOW_DAYS = env.int("REFUND_FREQUENT_WINDOW_DAYS", default=365)

# Notification outbox: how many rows one relay run sends, and retries per row.
NOTIFICATION_RELAY_BATCH = env.int("NOTIFICATION_RELAY_BATCH", default=200)
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# The absolute address of the portal, for links in emails (survey links).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Follow-up (docs/follow-up.md). COM-2: a survey link expires after this many days.
SURVEY_LINK_DAYS = env.int("SURVEY_LINK_DAYS", default=30)
# Requests to survey links allowed per client IP address and window (429 beyond).
SURVEY_RATE_LIMIT = env.int("SURVEY_RATE_LIMIT", default=30)
SURVEY_RATE_WINDOW_SECONDS = env.int("SURVEY_RATE_WINDOW_SECONDS", default=600)
# RES-1: days without an answer before the agent is warned, and before a rescue case opens.
INACTIVITY_WARNING_DAYS = env.int("INACTIVITY_WARNING_DAYS", default=7)
INACTIVITY_RESCUE_DAYS = env.int("INACTIVITY_RESCUE_DAYS", default=14)
# RES-3: days after the first protocol contact before a silent rescue case escalates.
RESCUE_ESCALATION_DAYS = env.int("RESCUE_ESCALATION_DAYS", default=3)
# RES-3: the area a new rescue case escalates to until the agent chooses (sales/experience).
RESCUE_DEFAULT_AREA = env.str("RESCUE_DEFAULT_AREA", default="experience")
# COM-4: how long before a change takes effect its notice must go out.
CHANGE_NOTICE_MIN_DAYS = env.int("CHANGE_NOTICE_MIN_DAYS", default=7)
CHANGE_NOTICE_EMERGENCY_MIN_HOURS = env.int("CHANGE_NOTICE_EMERGENCY_MIN_HOURS", default=24)
# The client-email outbox: emails sent per relay run, and attempts before "failed".
CLIENT_EMAIL_RELAY_BATCH = env.int("CLIENT_EMAIL_RELAY_BATCH", default=200)
CLIENT_EMAIL_MAX_ATTEMPTS = env.int("CLIENT_EMAIL_MAX_ATTEMPTS", default=5)

# The health page calls the heartbeat stale after this many minutes.
HEARTBEAT_STALE_MINUTES = env.int("HEARTBEAT_STALE_MINUTES", default=15)

# Security. Cookies and headers that are safe everywhere are always on.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 10)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # Behind the compose file's proxy (or any TLS terminator) trust its header.
    if env.bool("SECURE_PROXY_SSL_HEADER", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-security policy (django-csp 4): only our own origin, no inline code
# at all: templates load scripts and styles from files.
_CSP_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
# Enforced in every environment so that the demo and the tests meet the
# same policy as production.
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}

# The loggers that write request paths redact survey-link tokens
# (pae_ops.log_redaction): a survey link must never reach a log (DESIGN).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secret_paths": {"()": "pae_ops.log_redaction.RedactSecretPathsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secret_paths"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["redact_secret_paths"]},
        # Django's default gives runserver's log its own handler and no
        # propagation; the console handler takes its place here.
        "django.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_secret_paths"],
        },
        "django.security.csrf": {"filters": ["redact_secret_paths"]},
    },
}
