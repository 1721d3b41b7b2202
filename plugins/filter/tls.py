# -*- coding: utf-8 -*-
# Copyright: hapair.loadbalancer contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTPS at the VIP for templates and tasks; every rule lives in module_utils/tls.py."""

from __future__ import annotations

DOCUMENTATION = r"""
name: tls_bind
short_description: The TLS words of a HAProxy frontend's bind lines
version_added: 0.1.0
description:
  - Returns what a frontend's bind lines get after the address when the frontend terminates TLS
    (C(ssl crt FILE ... alpn LIST)), or an empty string.
  - The same plugin file provides C(tls_frontend_lines) (the redirect to HTTPS and the
    Strict-Transport-Security header), C(tls_server) (the TLS words of a backend's server lines),
    C(tls_certificate_files) (each certificate's name and file), C(tls_needs_system_cas) (whether a
    backend verifies against the system's CAs), C(tls_certificate_content) (what
    the file of the certificate of a given name holds) and C(tls_certificate_problems) (the refusals and warnings of the
    certificate checks) and C(tls_retired_files) (the certificate files no certificate names any more).
author:
  - hapair.loadbalancer maintainers
positional: directory, mode
options:
  _input:
    description: The frontend, as in C(haproxy_frontends).
    type: dict
    required: true
  directory:
    description: C(haproxy_certificate_dir).
    type: path
    required: true
  mode:
    description: The frontend's mode (C(http) or C(tcp)).
    type: str
    required: true
"""

EXAMPLES = r"""
bind: "{{ frontend | hapair.loadbalancer.tls_bind(haproxy_certificate_dir, 'http') }}"
"""

RETURN = r"""
_value:
  description: The words, with a leading space, or an empty string.
  type: str
"""

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
