'use client';
/** The signed-in user for client components: what to show. The server checks every change again. */
import { createContext, useContext, type ReactNode } from 'react';
import { can, type Ability, type Role } from '@/lib/auth/roles';

export interface ClientUser {
  username: string;
  role: Role;
}

const UserContext = createContext<ClientUser | null>(null);

export function AbilityProvider({ user, children }: { user: ClientUser; children: ReactNode }) {
  return <UserContext.Provider value={user}>{children}</UserContext.Provider>;
}

export function useSessionUser(): ClientUser | null {
  return useContext(UserContext);
}

/** Whether the signed-in user's role may do `ability` (false outside the console layout). */
export function useCan(ability: Ability): boolean {
  return can(useContext(UserContext)?.role, ability);
}
