# The owner policy of the benchmark: a caller reads only the notes it owns.
package switchboard.objects.BenchNote

allow if {
	input.action in {"get", "find", "count"}
	input.object.owner.objectId == input.auth.userId
}

allow if {
	input.action == "create"
	input.object.owner.objectId == input.auth.userId
}
