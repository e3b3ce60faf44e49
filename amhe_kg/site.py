"""`amhe-kg site OUT`: the served pages as a static site for any web host.

Each resource gets `id/{path}.html` and its description in `.ttl`, `.jsonld`,
`.nt` and `.rdf`; each class an index under `class/`; the ontology, the
dataset description (`.well-known/void.ttl`), the downloads (`download/`), a
sitemap, and an `.htaccess` whose rules content-negotiate the persistent IRIs
(`https://w3id.org/amhe/id/...`, `/ontology`) to the right file with 303 See
Other on an Apache host (`w3id.htaccess` is the copy for w3id.org, which also
forwards file requests to the host).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape as xml_escape

import click

from amhe_kg import charts
from amhe_kg.docs import DIAGRAMS
from amhe_kg.docs import page as ontology_page
from amhe_kg.options import out_option
from amhe_kg.pages import GALLERY_JS, RDF_FORMATS, STYLE, Linker, Pages, class_path, logical_path
from amhe_kg.pages import resource_graph as describe_resource
from amhe_kg.queryfile import QUERIES_DIR
from amhe_kg.serve import CSP, Published, csp_for, serialise

HOST_URL = "https://w3id.org/amhe/"
# Representations in the order the redirect rules try them; HTML comes first for browsers.
NEGOTIATION = (
    ("html", r"text/html|application/xhtml\+xml"),
    ("ttl", r"text/turtle"),
    ("jsonld", r"application/ld\+json"),
    ("nt", r"application/n-triples"),
    ("rdf", r"application/rdf\+xml"),
)
NEGOTIATED = r"^(id/[a-z0-9][a-z0-9/-]*|ontology)$"


def htaccess(
    host_url: str,
    endpoint: str | None = None,
    forward: bool = False,
    ontology_csp: str | None = None,
) -> str:
    """Apache rules: 303 from each IRI to the file of the representation the client accepts.

    With `forward` (the copy for w3id.org), requests for files are redirected to the host too.
    """
    connect = f" {endpoint}" if endpoint else ""
    csp = CSP.replace("connect-src 'self'", f"connect-src 'self'{connect}")
    lines = [
        "# Content negotiation for the AMHE knowledge graph (W3C recipes for publishing RDF).",
        "# Place in the site's root folder, or in w3id.org's amhe/ folder.",
        "Options -Indexes -MultiViews",
        "DirectoryIndex index.html",
    ]
    lines += [f"AddType {media} .{ext}" for ext, (media, _) in RDF_FORMATS.items()]
    lines += [
        "AddType text/html .html",
        "<IfModule mod_headers.c>",
        "  Header always set X-Content-Type-Options nosniff",
        '  <FilesMatch "\\.html$">',
        f'    Header set Content-Security-Policy "{csp}"',
        "  </FilesMatch>",
    ]
    if ontology_csp:
        lines += [
            '  <Files "ontology.html">',
            f'    Header set Content-Security-Policy "{ontology_csp}"',
            "  </Files>",
        ]
    lines += [
        "</IfModule>",
        "RewriteEngine On",
    ]
    for ext, pattern in NEGOTIATION:
        lines += [
            f"RewriteCond %{{HTTP_ACCEPT}} ({pattern}) [NC]",
            f"RewriteRule {NEGOTIATED} {host_url}$1.{ext} [R=303,L]",
        ]
    lines += [
        "# Anything else (no Accept header, */*) gets the page for people.",
        f"RewriteRule {NEGOTIATED} {host_url}$1.html [R=303,L]",
        f"RewriteRule ^\\.well-known/void$ {host_url}.well-known/void.ttl [R=303,L]",
        f"RewriteRule ^(class/[A-Za-z0-9-]+|queries)$ {host_url}$1.html [R=303,L]",
        f"RewriteRule ^$ {host_url}index.html [R=303,L]",
    ]
    if forward:
        lines.append(f"RewriteRule ^(.+)$ {host_url}$1 [R=302,L]")
    else:
        lines.append(f"ErrorDocument 404 {urlsplit(host_url).path}404.html")
    return "\n".join(lines) + "\n"


def root_ontology_page(published: Published) -> str:
    """The ontology's documentation page, with its links made relative to the site's root."""
    text = ontology_page(published.ontology, published.graph)
    text = text.replace('href="../ontology.', 'href="ontology.')
    for name in DIAGRAMS:
        text = text.replace(f'href="{name}"', f'href="docs/{name}"')
    return text


def sitemap(urls: list[str]) -> str:
    entries = "".join(f"  <url><loc>{xml_escape(url)}</loc></url>\n" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{entries}</urlset>\n"
    )


def files(
    published: Published, host_url: str = HOST_URL, endpoint: str | None = None
) -> dict[str, bytes]:
    """Every file of the static site, by its path."""
    pages = Pages(
        published.described,
        published.ontology,
        Linker(static=True),
        endpoint,
        {name: len(data) for name, data in published.downloads.items()},
        charts=True,
        triples=len(published.graph),
    )
    ontology_html = root_ontology_page(published)
    ontology_csp = csp_for(ontology_html)
    out: dict[str, str | bytes] = {
        "index.html": pages.landing(),
        "queries.html": pages.gallery(published.queries),
        "404.html": Pages(
            pages.graph, pages.ontology, Linker(static=True, root=host_url), endpoint
        ).not_found("this address"),
        "ontology.html": ontology_html,
        "static/style.css": STYLE,
        "static/gallery.js": GALLERY_JS,
        ".htaccess": htaccess(host_url, endpoint, ontology_csp=ontology_csp),
        "robots.txt": f"User-agent: *\nAllow: /\nSitemap: {host_url}sitemap.xml\n",
    }
    if host_url != HOST_URL:
        out["w3id.htaccess"] = htaccess(host_url, endpoint, forward=True)
    for name, svg in charts.render(published.graph, ("svg",)).items():
        out[f"charts/{name}"] = svg
    for name, diagram in DIAGRAMS.items():
        out[f"docs/{name}"] = diagram(published.ontology)
    for ext in RDF_FORMATS:
        out[f"ontology.{ext}"] = serialise(published.ontology, ext)
        out[f".well-known/void.{ext}"] = serialise(published.void, ext)
    for name, data in published.downloads.items():
        out[f"download/{name}"] = data
    urls = [host_url, host_url + "queries.html", host_url + "ontology.html"]
    for cls in sorted(pages.classes):
        path = class_path(cls)
        out[path + ".html"] = pages.class_index(cls)
        urls.append(host_url + path + ".html")
    for subject in pages.resources():
        path = logical_path(subject)
        out[path + ".html"] = pages.resource(subject)
        description = describe_resource(published.described, subject)
        for ext in RDF_FORMATS:
            out[f"{path}.{ext}"] = serialise(description, ext)
        urls.append(host_url + path + ".html")
    out["sitemap.xml"] = sitemap(urls)
    return {k: v.encode("utf-8") if isinstance(v, str) else v for k, v in out.items()}


def write_site(site: dict[str, bytes], out: Path) -> None:
    """Replace the folder out with the site's files."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for name, content in sorted(site.items()):
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


@click.command("site")
@click.argument("out", type=click.Path(path_type=Path, file_okay=False))
@out_option("The build's output folder to publish.")
@click.option(
    "--host-url",
    default=HOST_URL,
    show_default=True,
    help="Where the site is hosted (the redirects and the sitemap point there).",
)
@click.option("--endpoint", metavar="URL", help="A SPARQL endpoint for the query gallery to use.")
def command(out: Path, out_dir: Path, host_url: str, endpoint: str | None) -> None:
    """Write the pages and per-resource RDF as a static site in OUT (replaced as a whole).

    Exit codes: 0 written; 2 the build's output could not be read.
    """
    if not host_url.endswith("/"):
        host_url += "/"
    try:
        published = Published.load(out_dir, QUERIES_DIR)
    except click.ClickException as error:
        click.echo(f"error: {error.message}", err=True)
        raise SystemExit(2) from None
    site = files(published, host_url, endpoint)
    write_site(site, out)
    click.echo(f"Wrote {len(site)} files to {out}/")
