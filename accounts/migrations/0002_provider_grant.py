import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_user'),
        ('social_django', '0022_nonce_timestamp_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='ProviderGrant',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('provider', models.CharField(max_length=32)),
                ('uid', models.CharField(max_length=255)),
                ('access_token_ciphertext', models.TextField(blank=True, default='')),
                ('refresh_token_ciphertext', models.TextField(blank=True, default='')),
                ('expires_at', models.DateTimeField(blank=True, null=True)),
                ('scopes', models.JSONField(blank=True, default=list)),
                ('denied_scopes', models.JSONField(blank=True, default=list)),
                ('status', models.CharField(choices=[('active', 'Active'), ('needs_reconnect', 'Needs reconnect'), ('revoked', 'Revoked')], default='active', max_length=20)),
                ('last_refreshed_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, default='', max_length=255)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('social', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='grant', to='social_django.usersocialauth')),
            ],
            options={
                'indexes': [models.Index(fields=['expires_at'], name='grant_expires_at_idx')],
                'constraints': [models.UniqueConstraint(fields=('provider', 'uid'), name='one_grant_per_provider_account')],
            },
        ),
    ]
