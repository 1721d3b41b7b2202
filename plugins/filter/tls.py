# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS at the VIP for templates and tasks; every rule lives in module_utils/tls.py.

Each filter's documentation is the YAML file of its name beside this one (plugins/filter/NAME.yml),
where ansible-doc looks for it: one file holds several filters, so one DOCUMENTATION could not
describe them all."""

from __future__ import annotations


from ansible_collections.hapair.loadbalancer.plugins.module_utils import tls


def tls_bind(frontend, directory, mode):
    return tls.bind_words(frontend or {}, directory, mode)


def tls_frontend_lines(frontend, mode):
    return tls.frontend_lines(frontend or {}, mode)


def tls_server(backend):
    return tls.server_words(backend or {})


def tls_needs_system_cas(backends):
    return tls.needs_system_cas(backends)


def tls_certificate_files(certificates, directory):
    return tls.certificate_files(certificates, directory)


def tls_certificate_content(certificates, name):
    return tls.named_content(certificates, name)


def tls_retired_files(names, directory, certificates):
    return tls.retired_files(names, directory, certificates)


def tls_certificate_problems(certificates, frontends, warn_days, trust=""):
    """{problems, warnings} of haproxy_certificates, judged now on the controller."""
    used = {name for frontend in frontends or [] if isinstance(frontend, dict)
            for name in tls.frontend_certificates(frontend)}
    problems, warnings = tls.certificate_problems(certificates, warn_days=warn_days, anchors=None, used=used,
                                                  trust=trust)
    return {"problems": problems, "warnings": warnings}


class FilterModule:
    """hapair.loadbalancer TLS filters."""

    def filters(self):
        return {
            "tls_bind": tls_bind,
            "tls_frontend_lines": tls_frontend_lines,
            "tls_server": tls_server,
            "tls_certificate_files": tls_certificate_files,
            "tls_needs_system_cas": tls_needs_system_cas,
            "tls_certificate_content": tls_certificate_content,
            "tls_certificate_problems": tls_certificate_problems,
            "tls_retired_files": tls_retired_files,
        }
