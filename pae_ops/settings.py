"""Settings for PAE Ops, read from the environment (12-factor).

With no environment at all the project runs the demo: the embedded
PostgreSQL server under ``var/`` (started by ``make run``), Celery on
kombu's filesystem transport and the console email backend.
``DATABASE_URL`` and ``REDIS_URL`` name real servers.
``DJANGO_ENV=production`` turns on the production hardening and refuses to
start without a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
Every variable is documented in ``.env.example``.
"""

from email.utils import getaddresses
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
    # Trigram and unaccent support for the search (PostgreSQL only).
    "django.contrib.postgres",
    # Third party
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_filters",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "health_check",
    # Ours, in dependency order: partners <- clients <- cases <- refunds <- kpis
    "pae_ops",
    "partners",
    "clients",
    "cases",
    "refunds",
    "kpis",
    # The Políticas page: reads every app's settings, so it comes last.
    "policies",
    # Sign-in, second factor, invitations, sessions and the account page.
    "pae_ops.accounts",
]

MIDDLEWARE = [
    # The orchestrator's probes (pae_ops.health) answer before anything else.
    "pae_ops.health.ProbeMiddleware",
    # Each request's id, in its log lines and its X-Request-ID header.
    "pae_ops.log_context.RequestIdMiddleware",
    # Then: everything below sees the client's address, not the proxy's.
    "pae_ops.client_address.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # The second factor: nothing but enrolment until the session is verified.
    "django_otp.middleware.OTPMiddleware",
    "pae_ops.accounts.middleware.SecondFactorMiddleware",
    "pae_ops.middleware.UserLanguageMiddleware",
    "pae_ops.middleware.RejectNulBytesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Ends idle sessions and those of deactivated users (says so in a message).
    "pae_ops.accounts.middleware.SessionActivityMiddleware",
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


# Databases: PostgreSQL only (one SQL dialect everywhere). DATABASE_URL names
# the server; without it, the embedded server that `make run` starts
# (pae_ops.embedded_db, its port kept in var/postgres.port) when one was
# started here, else the machine's PostgreSQL on 127.0.0.1:5432.
def _default_database_url() -> str:
    port_file = VAR_DIR / "postgres.port"
    port = port_file.read_text().strip() if port_file.is_file() else "5432"
    return f"postgres://postgres@127.0.0.1:{port}/pae_ops"


DATABASES = {"default": env.db_url("DATABASE_URL", default=_default_database_url())}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://…).")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# The portal's queries are short: PostgreSQL's JIT compiler costs more than
# it saves on them (1.4 s of compiling on the KPI dashboard's query at
# scale, docs/benchmarks.md).
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
            # No page may wait on Redis: give up quickly (and no page needs
            # the cache; the survey rate limit is counted in PostgreSQL).
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
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

# Accounts (docs/security.md). A password-reset link works once and for this
# many minutes; an invitation link works once and for this many days.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_MINUTES", default=60) * 60
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
# The second factor (TOTP) is required of Admins, Directors, Leaders and
# Partner approvers. Only the demo and the suite may turn it off: a system
# check refuses it under DJANGO_ENV=production and `check --deploy` names it.
# The suite turns it off by default because it signs users in with
# force_login; the two-factor tests turn it on (tests/accounts).
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=DJANGO_ENV != "test")
# Agents may enrol a second factor; this makes it compulsory for them too.
TWO_FACTOR_REQUIRED_FOR_AGENTS = env.bool("TWO_FACTOR_REQUIRED_FOR_AGENTS", default=False)
# The issuer an authenticator app shows beside the login.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="PAE Ops")
# Recovery codes given at enrolment (each works once).
RECOVERY_CODE_COUNT = env.int("RECOVERY_CODE_COUNT", default=10)
# A session without a request for this many minutes ends (idle timeout).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# Every failed sign-in (password or second factor) is kept for the admins.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The client's address behind the trusted proxies (pae_ops.client_address).
AXES_CLIENT_IP_CALLABLE = "pae_ops.client_address.client_ip"

# The proxies whose X-Forwarded-For is believed (IPs or networks, e.g. the
# TLS proxy in front of the compose file's web service). Empty: none, and
# REMOTE_ADDR is the client.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Language: Spanish by default, English per user (see pae_ops.middleware).
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One way to write numbers and dates per language: es follows Mexico (es_MX:
# 1,234.50 and dd/mm/aaaa), en the United States (docs/i18n.md).
FORMAT_MODULE_PATH = ["pae_ops.formats"]
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
    # Uploaded files (partner documents, case and refund attachments) go
    # through this storage: MEDIA_ROOT on a local volume by default; another
    # backend (a package's, e.g. an object store) can be named here.
    "default": {
        "BACKEND": env.str(
            "FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
        )
    },
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
# Largest attachment of a case or refund request accepted, in bytes.
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: console in the demo, SMTP (EMAIL_URL) in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="PAE Ops <no-reply@pae-ops.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Celery: Redis when REDIS_URL is set, else kombu's filesystem transport (demo).
# (A host in the URL keeps kombu from warning that none was given.)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost/")
CELERY_FILESYSTEM_DIR = VAR_DIR / "celery"
if CELERY_BROKER_URL.startswith("filesystem://"):
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
    # The workers' and beat's connections. A request never publishes on
    # these: it uses pae_ops.broker.publish_quietly (CELERY_PUBLISH_TIMEOUT).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        "max_retries": 2,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 1,
        # A task whose worker died (SIGKILL, OOM) stays unacknowledged in
        # Redis this long before another worker gets it: longer than the
        # longest hard time limit below, or a task still running would be
        # handed out twice (docs/operations.md, Celery).
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=1200),
        # How often a worker looks for such tasks: every 10 s (kombu's
        # default scans only every 10th look, about every 100 s).
        "unacked_restore_interval": 10,
        "unacked_restore_throttle": 1,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Seconds a publish from a request may take at most (connect, and each read
# or write) before it gives up: no page waits on Redis.
CELERY_PUBLISH_TIMEOUT = env.float("CELERY_PUBLISH_TIMEOUT", default=0.2)
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
# Time limits (seconds): soft (the task gets SoftTimeLimitExceeded and can
# stop cleanly) and hard (its process is killed). The default fits the
# minute jobs; the long set-based jobs get more from their measured time at
# scale (docs/benchmarks.md) times about five. Keep every hard limit below
# CELERY_VISIBILITY_TIMEOUT. Table: docs/operations.md.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_ANNOTATIONS = {
    # A relay run sends for OUTBOX_RELAY_SECONDS (45 s), then stops.
    "pae_ops.tasks.relay_outbox_task": {"soft_time_limit": 90, "time_limit": 120},
    # 40 s for a 100,000-case catch-up at scale; each batch commits.
    "cases.tasks.sweep_sla_task": {"soft_time_limit": 540, "time_limit": 600},
    # 160 s for 100,000 clients at scale.
    "clients.tasks.sweep_segments_task": {"soft_time_limit": 840, "time_limit": 900},
    # about 60 s for the 400-day rebuild at scale.
    "kpis.tasks.refresh_kpi_rollups_task": {"soft_time_limit": 840, "time_limit": 900},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# One queue name per deployment (the test suite gives each run its own).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_ALWAYS_EAGER = False

# REF-3: this many earlier refund requests within the window flag a pattern.
REFUND_FREQUENT_COUNT = env.int("REFUND_FREQUENT_COUNT", default=2)
REFUND_FREQUENT_WINDOW_DAYS = env.int("REFUND_FREQUENT_WINDOW_DAYS", default=365)

# The email outbox (pae_ops.outbox, docs/operations.md): rows claimed per
# round, seconds one relay run sends for (below the task's soft time limit),
# the lease of a claim (a relay silent for longer is reconciled), attempts
# before "failed", days sent emails are kept, an optional hook that asks the
# mail provider about an email in doubt, and how long a nudge stays useful.
OUTBOX_RELAY_BATCH = env.int("OUTBOX_RELAY_BATCH", default=100)
# Cases per batch (one transaction) of the SLA sweep (docs/cases.md).
SLA_SWEEP_BATCH_SIZE = env.int("SLA_SWEEP_BATCH_SIZE", default=2000)
# A sweep with more than one batch due is swept by this many connections.
SLA_SWEEP_WORKERS = env.int("SLA_SWEEP_WORKERS", default=2)
OUTBOX_RELAY_SECONDS = env.float("OUTBOX_RELAY_SECONDS", default=45)
OUTBOX_CLAIM_SECONDS = env.float("OUTBOX_CLAIM_SECONDS", default=180)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=5)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=90)
OUTBOX_RECONCILER = env.str("OUTBOX_RECONCILER", default="")
OUTBOX_NUDGE_EXPIRES_SECONDS = env.int("OUTBOX_NUDGE_EXPIRES_SECONDS", default=120)
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    # The same backend with the hook that records an email just before the
    # server can accept it (pae_ops.outbox.smtp).
    EMAIL_BACKEND = "pae_ops.outbox.smtp.EmailBackend"
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

# Error reports (pae_ops.error_reports): mail to ADMINS ("Name <a@b>, c@d")
# through the outbox, and Sentry when SENTRY_DSN is set; both scrubbed of
# survey tokens, email addresses and phone numbers.
ADMINS = [
    (name, address) for name, address in getaddresses(env.list("ADMINS", default=[])) if address
]
MANAGERS = ADMINS
EMAIL_SUBJECT_PREFIX = env.str("EMAIL_SUBJECT_PREFIX", default="[PAE Ops] ")
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from pae_ops.error_reports import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default=DJANGO_ENV),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        release=env.str("SENTRY_RELEASE", default=""),
    )
# Workers log through LOGGING below (with the task's id), not Celery's own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# The loggers that write request paths redact survey-link tokens
# (pae_ops.log_redaction): a survey link must never reach a log (DESIGN).
# Every line carries the request's id (X-Request-ID) or the Celery task's.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_secret_paths": {"()": "pae_ops.log_redaction.RedactSecretPathsFilter"},
        "context": {"()": "pae_ops.log_context.ContextFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[request=%(request_id)s task=%(task_id)s] %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secret_paths", "context"],
        },
        "mail_admins": {
            "class": "pae_ops.error_reports.ScrubbedAdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "redact_secret_paths"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # A failing check is in the probe's answer; no traceback every 10 s.
        "health_check": {"level": "ERROR"},
        "django.request": {
            "handlers": ["console", "mail_admins"],
            "level": "INFO",
            "propagate": False,
            "filters": ["redact_secret_paths"],
        },
        # A task that failed (after its retries) is reported like a 500.
        "celery.app.trace": {"handlers": ["console", "mail_admins"], "propagate": False},
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
