import { WizardSkeleton } from '@/components/wizard/WizardSkeleton';

export default function Loading() {
  return <WizardSkeleton />;
}
