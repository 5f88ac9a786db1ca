# Example 2: only the author may edit a post, within 24 hours.
#
# A Post has a pointer `author` to a _User and a boolean `published`.
package switchboard.objects.Post

day_ns := ((24 * 60) * 60) * 1000000000

reads := {"get", "find", "count", "aggregate"}

# Everyone reads published posts...
allow if {
	input.action in reads
	input.object.published == true
}

# ... and authors also read their own drafts.
allow if {
	input.action in reads
	input.object.author.objectId == input.auth.userId
}

# A post is created by its author.
allow if {
	input.action == "create"
	input.object.author.objectId == input.auth.userId
}

# Only the author edits, within 24 hours of creating the post, and cannot
# hand it over to someone else.
allow if {
	input.action == "update"
	input.original.author.objectId == input.auth.userId
	time.now_ns() - time.parse_rfc3339_ns(input.original.createdAt) < day_ns
	not "author" in input.changed
}

# Nobody deletes posts: there is no rule for "delete".
