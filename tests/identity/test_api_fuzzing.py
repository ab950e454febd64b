"""Schemathesis over the OpenAPI document, in-process, signed in with an admin token.

Every operation gets ten generated requests (a couple of hundred in all per engine); no
answer may be a 5xx or fall outside the published schema (status, content type, body).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from identity_world import World
from schemathesis import checks

from openhaven.core.database import unit_of_work
from openhaven.identity import api_tokens
from openhaven.identity.repository import account_for_person

EXAMPLES_PER_OPERATION = 10
#: no 5xx, and every answer inside the schema; a schema-valid request that the service
#: refuses for a business reason (an unknown NHS number, say) is not a failure here
CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance,
          checks.response_headers_conformance]


def test_no_5xx_and_no_answer_outside_the_schema(world: World) -> None:
    # Tokens owned by someone else come first, so generated small ids hit those (404)
    # rather than revoking the token the run is signed in with.
    with unit_of_work(world.engine) as session:
        other = account_for_person(session, world.people["auditor"][1])
        assert other is not None
        for number in range(40):
            api_tokens.issue_token(session, world.haven, other, label=f"decoy {number}",
                                   scope="read", actor="test")
    headers = {"Authorization": f"Bearer {world.token('custodian_admin', 'admin')}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()
