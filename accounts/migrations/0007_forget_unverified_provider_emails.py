"""Emails stored before a provider's address counted only when verified are forgotten.

Sign-in now keeps an email only when the provider says it is verified, and Meta promises
no such thing for a Facebook address (so none is kept). People who signed in before that
change still carry the address their first provider sent. Which provider vouched for it
was not recorded, so only the case that is certain is kept: a person with a link to a
provider that verifies addresses (an OpenID ``email_verified`` claim) keeps their email;
everyone else's is cleared. Contact matching also needs the person's own yes (0005), so
nobody becomes findable by an address nobody verified.
"""

from django.db import migrations

# Providers whose sign-in keeps an email only when the provider says it is verified.
VERIFYING_PROVIDERS = ("google",)


def forget_unverified_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    UserSocialAuth = apps.get_model("social_django", "UserSocialAuth")
    vouched = UserSocialAuth.objects.filter(provider__in=VERIFYING_PROVIDERS).values("user_id")
    User.objects.exclude(email="").exclude(pk__in=vouched).update(email="")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_grant_data_access_expired"),
        ("social_django", "0001_initial"),
    ]

    operations = [migrations.RunPython(forget_unverified_emails, migrations.RunPython.noop)]
