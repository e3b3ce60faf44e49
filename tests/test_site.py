"""`amhe-kg site`: the static site's files, its links, its sitemap and its redirect rules."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef

from amhe_kg import site
from amhe_kg.build import write

from .conftest import ID

HOST = "https://example.org/amhe/"


@pytest.fixture(scope="module")
def site_dir(built, tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    write(built, root / "output")
    result = CliRunner().invoke(
        site.command, [str(root / "site"), "--out", str(root / "output"), "--host-url", HOST]
    )
    assert result.exit_code == 0, result.output
    return root / "site"


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def parsed(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def test_every_page_link_resolves_within_the_site(site_dir):
    ids: dict[Path, set[str]] = {}
    broken = []
    pages = sorted(site_dir.rglob("*.html"))
    assert len(pages) > 1000
    for page in pages:
        for link in parsed(page).links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith("//"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if not target.is_file() or site_dir.resolve() not in target.parents:
                broken.append(f"{page.relative_to(site_dir)}: {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = parsed(target).ids
                if parts.fragment not in ids[target]:
                    broken.append(f"{page.relative_to(site_dir)}: {link} (no such anchor)")
    assert broken == []


def test_each_resource_has_html_turtle_and_jsonld_with_its_triples(site_dir, graph):
    subject = ID["service/black-thrive"]
    base = site_dir / "id" / "service" / "black-thrive"
    for ext, syntax in (("ttl", "turtle"), ("jsonld", "json-ld"), ("nt", "nt"), ("rdf", "xml")):
        description = Graph().parse(base.with_suffix("." + ext), format=syntax)
        for triple in graph.triples((subject, None, None)):
            assert triple in description
    assert "<h1>Black Thrive</h1>" in base.with_suffix(".html").read_text()
    subjects = {s for s in graph.subjects() if str(s).startswith(str(ID))}
    for s in subjects:
        path = site_dir / (str(s)[len("https://w3id.org/amhe/") :] + ".jsonld")
        assert path.is_file(), path


def test_class_indexes_downloads_void_and_ontology(site_dir):
    index = (site_dir / "class" / "amhe-Service.html").read_text()
    assert index.count("<li>") == 11
    assert (site_dir / "download" / "amhe.ttl").is_file()
    assert (site_dir / "download" / "void.ttl").is_file()
    void = Graph().parse(site_dir / ".well-known" / "void.ttl")
    assert (ID["dataset"], None, None) in void
    assert (ID["dataset"], None, None) in Graph().parse(site_dir / "id" / "dataset.ttl")
    assert 'id="Service"' in (site_dir / "ontology.html").read_text()


def test_not_found_page_links_absolutely(site_dir):
    page = (site_dir / "404.html").read_text()
    assert f'href="{HOST}index.html"' in page and f'href="{HOST}static/style.css"' in page
    assert (
        f"ErrorDocument 404 {HOST[len('https://example.org') :]}404.html"
        in (site_dir / ".htaccess").read_text()
    )


def test_sitemap_lists_existing_pages(site_dir):
    root = ET.fromstring((site_dir / "sitemap.xml").read_text())  # noqa: S314 (our own file)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    assert len(locations) > 1000
    for location in locations:
        assert location.startswith(HOST)
        path = location[len(HOST) :] or "index.html"
        assert (site_dir / path).is_file(), location


class Apache:
    """The subset of mod_rewrite the generated rules use: conditions on Accept, 303 rules."""

    def __init__(self, text: str) -> None:
        self.rules = []
        conditions = []
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("RewriteCond"):
                _, variable, pattern, flags = line.split(" ", 3)
                assert variable == "%{HTTP_ACCEPT}" and flags == "[NC]"
                conditions.append(re.compile(pattern, re.IGNORECASE))
            elif line.startswith("RewriteRule"):
                _, pattern, target, flags = line.split(" ")
                status = int(re.search(r"R=(\d+)", flags).group(1))
                self.rules.append((conditions, re.compile(pattern), target, status))
                conditions = []

    def route(self, path: str, accept: str | None) -> tuple[int, str] | None:
        """The redirect a request for path (relative to the folder) gets, or None."""
        for conditions, pattern, target, status in self.rules:
            if not all(c.search(accept or "") for c in conditions):
                continue
            match = pattern.search(path)
            if match:
                return status, match.expand(target.replace("$", "\\"))
        return None


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("path", "accept", "file"),
    [
        ("id/service/black-thrive", BROWSER, "id/service/black-thrive.html"),
        ("id/service/black-thrive", None, "id/service/black-thrive.html"),
        ("id/service/black-thrive", "*/*", "id/service/black-thrive.html"),
        ("id/service/black-thrive", "text/turtle", "id/service/black-thrive.ttl"),
        ("id/characteristic/race", "application/ld+json", "id/characteristic/race.jsonld"),
        ("id/guideline/ng44", "application/n-triples", "id/guideline/ng44.nt"),
        ("id/guideline/ng44", "application/rdf+xml", "id/guideline/ng44.rdf"),
        ("ontology", "text/turtle", "ontology.ttl"),
        ("ontology", BROWSER, "ontology.html"),
        (".well-known/void", "text/turtle", ".well-known/void.ttl"),
        ("class/amhe-Service", BROWSER, "class/amhe-Service.html"),
        ("", BROWSER, "index.html"),
    ],
)
def test_htaccess_routes_each_iri_to_its_file(site_dir, path, accept, file):
    for name in (".htaccess", "w3id.htaccess"):
        status, location = Apache((site_dir / name).read_text()).route(path, accept)
        assert status == 303
        assert location == HOST + file
        assert (site_dir / file).is_file()


def test_htaccess_serves_files_directly_and_w3id_forwards_them(site_dir):
    text = (site_dir / ".htaccess").read_text()
    assert "Options -Indexes" in text and "nosniff" in text
    assert Apache(text).route("id/service/black-thrive.ttl", "text/turtle") is None
    w3id = Apache((site_dir / "w3id.htaccess").read_text())
    assert w3id.route("id/service/black-thrive.ttl", None) == (
        302,
        HOST + "id/service/black-thrive.ttl",
    )


def test_rules_cover_every_resource(site_dir, graph):
    apache = Apache((site_dir / ".htaccess").read_text())
    for subject in {s for s in graph.subjects() if isinstance(s, URIRef)}:
        if str(subject).startswith(str(ID)):
            path = str(subject)[len("https://w3id.org/amhe/") :]
            _, location = apache.route(path, "text/turtle")
            assert (site_dir / location[len(HOST) :]).is_file()
