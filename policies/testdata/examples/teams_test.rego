package switchboard.objects.Document_test

import data.switchboard.objects.Document

doc(team) := {"objectId": "d1", "team": {"__type": "Pointer", "className": "Team", "objectId": team}}

member_of(teams) := {"userId": "u1", "roles": [sprintf("role:team_%s", [t]) | some t in teams]}

test_member_reads_the_document if {
	Document.allow with input as {"action": "get", "auth": member_of(["a"]), "object": doc("a")}
}

test_other_team_cannot_read if {
	not Document.allow with input as {"action": "get", "auth": member_of(["b"]), "object": doc("a")}
}

test_anonymous_cannot_read if {
	not Document.allow with input as {"action": "find", "auth": {"roles": []}, "object": doc("a")}
}

test_member_creates_for_own_team if {
	Document.allow with input as {"action": "create", "auth": member_of(["a"]), "object": doc("a")}
	not Document.allow with input as {"action": "create", "auth": member_of(["a"]), "object": doc("b")}
}

test_update_cannot_move_to_a_foreign_team if {
	Document.allow with input as {"action": "update", "auth": member_of(["a", "b"]), "original": doc("a"), "object": doc("b")}
	not Document.allow with input as {"action": "update", "auth": member_of(["a"]), "original": doc("a"), "object": doc("c")}
}
