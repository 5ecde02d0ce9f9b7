"""GitHub as a socialsite provider: sign-in (OAuth app or GitHub App user tokens), the people a
person follows, and the sandbox emulator of GitHub's web flow and REST API."""
