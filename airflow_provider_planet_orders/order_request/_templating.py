"""
Planet's own placeholders against Airflow's Jinja.

Planet expands ``{{name}}`` and ``{{order_id}}`` in ``archive_filename`` (Planet's SDK writes
``"{{name}}_{{order_id}}.zip"`` by default). In a templated operator field Jinja would try to
expand them first and fail, since Airflow's context has neither variable. Wrapping each in a
``{% raw %}`` block makes Jinja hand them to Planet untouched.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"(?<!['\"])\{\{\s*(?:name|order_id)\s*\}\}(?!['\"])")


def protect_planet_placeholders(request: Any) -> Any:
    """
    A copy of ``request`` in which Jinja renders Planet's placeholders to themselves.

    ``{{name}}`` becomes ``{% raw %}{{name}}{% endraw %}``; strings that already use ``{% raw``
    are left as written. Anything that is not a dict, list or string comes back unchanged, so a
    request given as a template string (an XCom pull) is not touched.
    """
    if isinstance(request, str):
        if "{% raw" in request or "{%raw" in request or "{%- raw" in request:
            return request
        return _PLACEHOLDER.sub(lambda match: "{% raw %}" + match.group(0) + "{% endraw %}", request)
    if isinstance(request, Mapping):
        return {key: protect_planet_placeholders(value) for key, value in request.items()}
    if isinstance(request, (list, tuple)):
        return [protect_planet_placeholders(value) for value in request]
    return request
