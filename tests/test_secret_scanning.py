"""docs/security.md's secret-scanning rules: they find every token the service or the PHP
recipe makes, miss near misses, and find nothing in the repository but known samples."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib

import pytest

from agentapi.tokens import new_token

from .deploy_support import ROOT

SECURITY = (ROOT / "docs/security.md").read_text()
SECTION = SECURITY[SECURITY.index("## Finding leaked tokens") :]
SAMPLE = "vb_k3x9a2mq_Q2xV8nT4pL6wZ1rY7cB3dF5gH9jK0mN2"  # also the GitHub test string
NEAR_MISSES = [
    "vb_K3X9A2MQ_Q2xV8nT4pL6wZ1rY7cB3dF5gH9jK0mN2",  # capitals in the prefix
    "vb_k3x9a2m_Q2xV8nT4pL6wZ1rY7cB3dF5gH9jK0mN2",  # prefix one short
    "vb_k3x9a2mq_Q2xV8nT4pL6wZ1rY7cB3dF5gH9jK0mN",  # secret one short
    "vb_k3x9a2mq_Q2xV8nT4pL6wZ1rY7cB3dF5gH9jK0mN2x",  # secret one long
    "xvb_k3x9a2mq_Q2xV8nT4pL6wZ1rY7cB3dF5gH9jK0mN2",  # inside a longer word
    "vb_k3x9a2mq-Q2xV8nT4pL6wZ1rY7cB3dF5gH9jK0mN2",
]
# Every token-shaped string in the tracked files, by file: deliberate samples only.
ALLOWLIST = {
    "docs/security.md": {SAMPLE},
    "tests/test_secret_scanning.py": {SAMPLE},
}


def _gitleaks() -> re.Pattern:
    """The regex of the gitleaks rule, as docs/security.md gives it."""
    block = re.search(r"```toml\n(.*?)```", SECTION, re.S).group(1)
    (rule,) = tomllib.loads(block)["rules"]
    assert rule["keywords"] == ["vb_"]
    return re.compile(rule["regex"])


def _github() -> re.Pattern:
    """GitHub's custom pattern: before, secret format, after (\\z is Python's \\Z)."""
    fields = {}
    for line in SECTION.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 2:
            fields[cells[0]] = cells[1].strip("`").replace("\\|", "|")
    after = fields["After secret"].replace("\\z", "\\Z")
    return re.compile(
        f"(?:{fields['Before secret']})({fields['Secret format']})(?={after})", re.MULTILINE
    )


RULES = {"gitleaks": _gitleaks, "github": _github}


def _found(pattern: re.Pattern, text: str) -> list[str]:
    """The tokens a rule finds in a text."""
    return [m.group(1) if m.groups() else m.group(0) for m in pattern.finditer(text)]


def test_the_documented_expression_is_the_gitleaks_rules():
    assert r"\bvb_[a-z0-9]{8}_[A-Za-z0-9]{32}\b" in SECTION
    assert _gitleaks().pattern == r"\bvb_[a-z0-9]{8}_[A-Za-z0-9]{32}\b"


@pytest.mark.parametrize("rule", RULES)
def test_rule_finds_tokens_made_by_keys_create(rule):
    pattern = RULES[rule]()
    tokens = [new_token()[0] for _ in range(500)]
    for token in tokens:
        for text in (token, f"Authorization: Bearer {token}\n", f'"{token}",', f"x={token}"):
            assert _found(pattern, text) == [token], (rule, text)


@pytest.mark.parametrize("rule", RULES)
def test_rule_finds_tokens_made_by_the_readme_php_recipe(rule):
    php = shutil.which("php")
    assert php, "php-cli is not installed: `make test` installs it (tools/system-deps.sh)"
    readme = (ROOT / "README.md").read_text()
    recipe = re.search(r"```php\n(.*?)```", readme, re.S).group(1)
    # The recipe's token-making part: what follows stores the key through the PHP
    # app's own database handle ($db), which this test has not got.
    making = recipe[: recipe.index("$db->")]
    program = making + '\necho $token, "\\n";'
    tokens = []
    for _ in range(20):  # the recipe as written makes one token per run
        result = subprocess.run([php, "-r", program], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        tokens.append(result.stdout.strip())
    pattern = RULES[rule]()
    for token in tokens:
        assert _found(pattern, f"Bearer {token}") == [token], (rule, token)


@pytest.mark.parametrize("rule", RULES)
def test_rule_misses_near_misses(rule):
    pattern = RULES[rule]()
    for text in NEAR_MISSES:
        assert _found(pattern, text) == [], (rule, text)
    assert _found(pattern, SAMPLE) == [SAMPLE]


def test_tracked_files_hold_no_token_but_the_allowlisted_fixtures():
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    found: dict[str, set[str]] = {}
    for name in filter(None, (f.decode() for f in files)):
        path = ROOT / name
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for rule in RULES.values():
            hits = set(_found(rule(), text))
            if hits:
                found.setdefault(name, set()).update(hits)
    assert found == ALLOWLIST
