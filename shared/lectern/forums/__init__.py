"""Course forums: threads, replies one level deep, votes, moderation, flags, follows."""
