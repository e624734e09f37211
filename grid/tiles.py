"""The tile server's settings read as Leaflet and the Content-Security-Policy need them. Plain
functions without Django, so that governance/settings.py can use them."""

from urllib.parse import urlsplit


def tile_subdomains(value: str) -> list[str]:
    """SANHUA_TILE_SUBDOMAINS as a list: "t0,t1" split at commas, "01234567" letter by letter
    (as Leaflet reads a string), Leaflet's own "abc" when empty."""
    if "," in value:
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value or "abc")


def tile_origins(urls, subdomains: str) -> list[str]:
    """The origins the browser fetches tiles from (for img-src): a {s} in the host becomes each
    subdomain; URLs without a scheme and host (same site) add none."""
    origins = []
    for url in filter(None, urls):
        parts = urlsplit(url)
        if not (parts.scheme and parts.netloc):
            continue
        hosts = [parts.netloc]
        if "{s}" in parts.netloc:
            hosts = [parts.netloc.replace("{s}", s) for s in tile_subdomains(subdomains)]
        origins += [f"{parts.scheme}://{host}" for host in hosts]
    return list(dict.fromkeys(origins))
