/** What other code may import from the accounts domain (its routes are mounted by the web app). */
export { isActiveUser, listUsers, resetPassword, setUserDisabled, type UserListing } from './admin';
export { type PostedForm, postedForm } from './presenters';
export { newPassword } from './schemas';
export { renderSettings } from './settings-page';
