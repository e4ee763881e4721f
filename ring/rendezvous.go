package ring

// Rendezvous (highest-random-weight) hashing: key k belongs to the member m
// with the highest score mix64(hashKey(k) ^ hashName(m)). Removing a member
// moves exactly the keys it owned (every other score is unchanged), and a new
// member takes exactly the keys it now outscores everyone on. A lookup costs
// one key hash plus one multiply-xorshift mix per member.

func (r *Ring) buildRendezvous() {
	r.nameHash = make([]uint64, len(r.members))
	for i, m := range r.members {
		r.nameHash[i] = hashName(m.Name)
	}
}

// locateRendezvous returns the index of the highest-scoring member for key
// hash h. Scores of distinct names differ (mix64 is a bijection) unless their
// name hashes collide; then the first member by Name wins.
func (r *Ring) locateRendezvous(h uint64) int {
	best, bestScore := 0, mix64(h^r.nameHash[0])
	for i := 1; i < len(r.nameHash); i++ {
		if s := mix64(h ^ r.nameHash[i]); s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}
