package switchboard.objects.Post_test

import data.switchboard.objects.Post

post(author, created) := {
	"objectId": "p1", "createdAt": created, "published": false,
	"author": {"__type": "Pointer", "className": "_User", "objectId": author},
}

recent := time.format([time.now_ns() - ((60 * 60) * 1000000000), "UTC", "2006-01-02T15:04:05.000Z07:00"])

old := "2020-01-01T00:00:00.000Z"

test_author_edits_a_recent_post if {
	Post.allow with input as {"action": "update", "auth": {"userId": "u1"}, "original": post("u1", recent), "object": post("u1", recent), "changed": ["title"]}
}

test_author_cannot_edit_after_a_day if {
	not Post.allow with input as {"action": "update", "auth": {"userId": "u1"}, "original": post("u1", old), "object": post("u1", old), "changed": ["title"]}
}

test_others_cannot_edit if {
	not Post.allow with input as {"action": "update", "auth": {"userId": "u2"}, "original": post("u1", recent), "object": post("u1", recent), "changed": ["title"]}
}

test_author_cannot_hand_over if {
	not Post.allow with input as {"action": "update", "auth": {"userId": "u1"}, "original": post("u1", recent), "object": post("u2", recent), "changed": ["author"]}
}

test_nobody_deletes if {
	not Post.allow with input as {"action": "delete", "auth": {"userId": "u1"}, "object": post("u1", recent)}
}

test_drafts_are_read_by_their_author_only if {
	Post.allow with input as {"action": "get", "auth": {"userId": "u1"}, "object": post("u1", old)}
	not Post.allow with input as {"action": "get", "auth": {"userId": "u2"}, "object": post("u1", old)}
}
