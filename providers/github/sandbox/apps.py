from django.apps import AppConfig


class GitHubSandboxConfig(AppConfig):
    name = "providers.github.sandbox"
    label = "github_sandbox"
    verbose_name = "Sandbox GitHub"
    default_auto_field = "django.db.models.BigAutoField"
