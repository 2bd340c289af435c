"""Secrets never appear in output, --json, errors or logs at any level (core side; each
connector has its own test for what it logs)."""
import logging

from campaigner.secrets import env_name

SECRETS = {"API_KEY": "xk-API-KEY-31337abc", "API_SECRET": "xs-API-SECRET-8675309",
           "ACCESS_TOKEN": "xt-ACCESS-TOKEN-42424242", "ACCESS_TOKEN_SECRET": "xts-TOKEN-SECRET-999000"}


def test_no_secret_anywhere(cli, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    cli.ok("account", "add", "x", "kspi-x", "--base-url", "http://127.0.0.1:9")
    cli.env.update({env_name("kspi-x", k): v for k, v in SECRETS.items()})
    outputs = [
        cli("-vv", "account", "show", "kspi-x"),
        cli("-vv", "account", "show", "kspi-x", "--json"),
        cli("-vv", "account", "list", "--json"),
        cli("-vv", "account", "test", "kspi-x", "--timeout", "1"),  # fails: nothing listens there
        cli("-vv", "post", "add", "Tolak Tapera", "--to", "kspi-x", "--now", "--json"),
        cli("-vv", "post", "list", "--json"),
        cli("-vv", "config", "--json"),
        cli("-vv", "account", "set-secret", "kspi-x", "api_key", input=SECRETS["API_KEY"] + "\n"),
    ]
    assert outputs[3].exit_code == 1
    captured = "".join(r.output for r in outputs) + caplog.text
    for value in SECRETS.values():
        assert value not in captured
